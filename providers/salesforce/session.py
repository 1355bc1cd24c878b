"""The live connection to one org: ``OrgSession``, rebuilt in place when the org asks for a new session.

``OrgSession`` owns one ``requests.Session`` shared by every REST and raw SOAP call, the simple-salesforce
client in direct mode (``session_id`` + ``instance_url``) and its Metadata API client, whose zeep
transport has its own ``requests.Session``. Both sessions trust the same CA (the emulator's certificate,
``ca_cert``, or requests' defaults and ``REQUESTS_CA_BUNDLE``) and carry the same response hooks, so API
usage is seen on every response.

Where a session comes from is ``providers.salesforce.login``'s business: an ``OrgSession`` is given an
``Authenticator`` (see ``providers.salesforce.connection``) and runs it at start and again on
``reauthenticate()``. The client always runs in direct mode, so simple-salesforce never refreshes on its
own: when the org answers INVALID_SESSION_ID the transport calls ``reauthenticate()``, which runs the
same source again (a new login, a new ``sf`` token) and points both clients at the new session. A login
that fails raises the authenticator's ``ProviderError``.
"""

from __future__ import annotations

import functools
import re
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.auth
import simple_salesforce.metadata
from simple_salesforce.api import Salesforce
from simple_salesforce.metadata import SfdcMetadataApi
from zeep import Client, Settings
from zeep.wsdl import Document

from providers.salesforce import metadata_reader
from providers.salesforce.connection import Authenticator, Credentials, OrgConnection

ResponseHook = Callable[..., Any]

_BINDING = "{http://soap.sforce.com/2006/04/metadata}MetadataBinding"
# simple-salesforce's own settings for its Metadata client (SfdcMetadataApi.__init__).
_WSDL_SETTINGS = Settings(strict=False, xsd_ignore_sequence_order=True)
_wsdl_lock = threading.Lock()
_wsdl: Document | None = None


def _wsdl_path() -> Path:
    return Path(simple_salesforce.metadata.__file__).parent / "metadata.wsdl"


@functools.cache
def metadata_wsdl_version() -> str:
    """The API version of the bundled Metadata WSDL, read from its header comment ("Salesforce.com
    Metadata API version 63.0"). Metadata calls go to ``/services/Soap/m/<this version>`` whatever the
    org's REST ``api_version``: zeep serialises only the elements this WSDL knows, and an endpoint of
    another version could drop or reject what it sends or return elements zeep cannot read."""
    with _wsdl_path().open(encoding="utf-8") as wsdl:
        head = wsdl.read(512)
    found = re.search(r"Metadata API version (\d+\.\d+)", head)
    if found is None:
        raise RuntimeError(f"{_wsdl_path()}: no 'Metadata API version N.N' in its header comment")
    return found.group(1)


def metadata_url(sf: Salesforce) -> str:
    """The Metadata SOAP endpoint of ``sf``'s instance, at the bundled WSDL's version."""
    return f"https://{sf.sf_instance}/services/Soap/m/{metadata_wsdl_version()}/"


def metadata_wsdl() -> Document:
    """simple-salesforce's Metadata WSDL, parsed once per process (about 0.2 s of CPU) and shared by
    every org's client: a parsed document is only read afterwards; each client keeps its own transport.
    Its read answers are parsed by ``providers.salesforce.metadata_reader``."""
    global _wsdl
    with _wsdl_lock:
        if _wsdl is None:
            location = _wsdl_path().absolute().as_uri()
            client = Client(location, settings=_WSDL_SETTINGS)  # type: ignore[no-untyped-call]
            _wsdl = client.wsdl
            metadata_reader.install(_wsdl)
        return _wsdl


class SharedWsdlMetadataApi(SfdcMetadataApi):
    """``SfdcMetadataApi`` built on the process's parsed WSDL (``metadata_wsdl``) instead of parsing it
    again: the attributes are those ``SfdcMetadataApi.__init__`` sets, except that the endpoint and the
    ``asOfVersion`` of listMetadata are pinned to the WSDL's version (``metadata_wsdl_version``)."""

    def __init__(self, sf: Salesforce) -> None:
        self.session = sf.session
        self._session_id = sf.session_id
        self._instance = sf.sf_instance
        self.metadata_url = metadata_url(sf)
        self.headers = sf.headers
        self._api_version = metadata_wsdl_version()
        self._deploy_zip = None
        self._client = Client(metadata_wsdl(), settings=_WSDL_SETTINGS)  # type: ignore[no-untyped-call]
        self._service = self._client.create_service(_BINDING, self.metadata_url)  # type: ignore[no-untyped-call]
        self._session_header = self._client.get_element("ns0:SessionHeader")(sessionId=self._session_id)  # type: ignore[no-untyped-call]


class _NoNetrc(requests.auth.AuthBase):
    """The session's ``auth``: requests then skips ``~/.netrc`` (it looks the file up on every request,
    and an entry for the org's host would replace the session's bearer token with basic auth)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_NO_NETRC = _NoNetrc()


class _CheckedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, checking the CA bundle and client certificate paths once per (scheme, verify,
    cert) rather than on every request (two ``stat`` calls each time): the settings those checks give a
    connection pool are kept and set again."""

    def __init__(self) -> None:
        super().__init__()
        self._checked: dict[tuple[Any, ...], dict[str, Any]] = {}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        key = (url[:5].lower() == "https", verify, tuple(cert) if isinstance(cert, list) else cert)
        settings = self._checked.get(key)
        if settings is None:
            probe = types.SimpleNamespace()
            super().cert_verify(probe, url, verify, cert)  # type: ignore[no-untyped-call]
            settings = self._checked[key] = vars(probe)
        for name, value in settings.items():
            setattr(conn, name, value)


class PinnedSession(requests.Session):
    """A ``requests.Session`` whose own ``verify`` wins over ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``,
    and whose ``timeouts`` (connect, read) apply to every request that does not set its own.

    Plain requests lets those variables replace a session's CA bundle on every request, which would
    make a configured ``ca_cert`` (or the emulator's CA) useless wherever the variables are set. Neither
    requests nor simple-salesforce nor zeep (``operation_timeout=None``) sets a timeout by default, so a
    request to an org that stops answering would otherwise hang the run.
    """

    timeouts: tuple[float, float] | None = None

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.auth = _NO_NETRC
        for prefix in ("https://", "http://"):
            self.mount(prefix, _CheckedAdapter())

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None and len(args) < 7:  # timeout is the 7th after url
            kwargs["timeout"] = self.timeouts
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        """requests' merge, read from the environment once per origin, arguments and session settings
        (requests scans every proxy variable on each call: a noticeable share of a plan's CPU)."""
        parts = urlsplit(str(url))
        own = (str(self.verify), self.cert, self.stream, self.trust_env, tuple(sorted(self.proxies.items())))
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert, own)
        cached = self._environment.get(key)
        if cached is None:
            merged = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            if verify is None and isinstance(self.verify, str):
                merged["verify"] = self.verify
            self._environment[key] = cached = merged
        return dict(cached)


class OrgSession:
    """The authenticated clients of one org, rebuilt in place by ``reauthenticate``."""

    def __init__(
        self,
        conn: OrgConnection,
        authenticate: Authenticator,
        verify: str | bool = True,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.conn = conn
        self.http = PinnedSession()
        self.http.verify = verify
        self.http.timeouts = conn.timeouts
        self._verify = verify
        self._authenticate = authenticate
        self._on_close = on_close
        self._hooks: list[ResponseHook] = []
        self._mdapi: SfdcMetadataApi | None = None
        self.credentials = self._login()
        self.sf = self._client()

    @property
    def org(self) -> str:
        return self.conn.name

    @property
    def api_version(self) -> str:
        return self.credentials.api_version

    def add_response_hook(self, hook: ResponseHook) -> None:
        """Call ``hook(response, **kwargs)`` on every HTTP response, REST and SOAP alike."""
        self._hooks.append(hook)
        self.http.hooks["response"].append(hook)
        if self._mdapi is not None:
            self._mdapi._client.transport.session.hooks["response"].append(hook)

    def metadata(self) -> SfdcMetadataApi:
        """The Metadata API client (built on first use, on the WSDL parsed once per process)."""
        if self._mdapi is None:
            api = SharedWsdlMetadataApi(self.sf)
            self.sf._mdapi = api
            transport: Any = api._client.transport
            zeep_session = PinnedSession()
            zeep_session.headers.update(transport.session.headers)
            zeep_session.verify = self._verify
            zeep_session.timeouts = self.conn.timeouts
            zeep_session.hooks["response"].extend(self._hooks)
            transport.session = zeep_session
            self._mdapi = api
        return self._mdapi

    def reauthenticate(self) -> None:
        """Obtain a new session from the same source and point both clients at it."""
        self.credentials = self._login()
        mdapi = self._mdapi
        self.sf = self._client()
        if mdapi is not None:
            client: Any = mdapi._client
            mdapi._session_id = self.credentials.access_token
            mdapi._session_header = client.get_element("ns0:SessionHeader")(sessionId=self.credentials.access_token)
            mdapi.metadata_url = metadata_url(self.sf)
            mdapi._service = client.create_service(_BINDING, mdapi.metadata_url)
            self.sf._mdapi = mdapi

    def close(self) -> None:
        """Close the HTTP sessions, then run ``on_close`` once (it stops an embedded emulator, say)."""
        self.http.close()
        if self._mdapi is not None:
            self._mdapi._client.transport.session.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def _login(self) -> Credentials:
        return self._authenticate(self.http)

    def _client(self) -> Salesforce:
        return Salesforce(
            session_id=self.credentials.access_token,
            instance_url=self.credentials.instance_url,
            version=self.credentials.api_version,
            session=self.http,
            object_pairs_hook=None,  # plain dicts: its default (OrderedDict) decodes JSON about 2.5x slower
        )
