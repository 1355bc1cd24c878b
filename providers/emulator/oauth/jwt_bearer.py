"""The JWT bearer grant's assertion: RS256-verified against the connected app's certificate, then its
claims checked as Salesforce checks them.

``verify(assertion, apps, now, audiences)`` returns ``(app, username)`` or raises ``OAuthError``. Order
of checks: the assertion is three base64url parts of JSON (else ``invalid_grant`` "invalid assertion");
``iss`` names a connected app by its consumer key (else 400 ``invalid_client_id`` "client identifier
invalid"); the header's ``alg`` is RS256 and the signature verifies with the app's certificate (an app
without one refuses the grant; else ``invalid_grant`` "invalid assertion"); ``aud`` is one of
``audiences`` (else ``invalid_grant`` "audience is invalid"); ``exp`` is a number later than ``now``
(else ``invalid_grant`` "invalid assertion"). The user checks (``sub`` known, active, pre-authorized)
belong to the grant (``grants.py``). Salesforce clients differ on ``exp``: the sf CLI sends milliseconds,
which Salesforce accepts as a time far ahead; so does this check.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import OAuthError

Record = dict[str, Any]

# UNCONFIRMED: the exact error_description Salesforce gives for an expired or unsigned assertion; public
# reports quote "invalid assertion" for a signature that does not verify, and it is used for both.
INVALID_ASSERTION = OAuthError(400, "invalid_grant", "invalid assertion")


def verify(
    assertion: str, find_app: Callable[[str], Record | None], now: float, audiences: Collection[str]
) -> tuple[Record, str]:
    """The connected app and username of a valid assertion (see the module docstring)."""
    try:
        header_part, claims_part, signature_part = assertion.split(".")
        header, claims = _json(header_part), _json(claims_part)
        signature = _b64(signature_part)
    except (ValueError, binascii.Error):
        raise INVALID_ASSERTION from None
    app = find_app(str(claims.get("iss") or ""))
    if app is None:
        raise OAuthError(400, "invalid_client_id", "client identifier invalid")
    if header.get("alg") != "RS256" or not app.get("Certificate"):
        raise INVALID_ASSERTION
    public_key = x509.load_pem_x509_certificate(str(app["Certificate"]).encode("ascii")).public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise INVALID_ASSERTION
    try:
        signed = f"{header_part}.{claims_part}".encode("ascii")
        public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, UnicodeEncodeError):
        raise INVALID_ASSERTION from None
    audience = claims.get("aud")
    given = audience if isinstance(audience, list) else [audience]
    if not any(str(a).rstrip("/") in audiences for a in given if a):
        # Public reports quote "audience is invalid" (Talend/components#1423 shows "Audience is invalid").
        raise OAuthError(400, "invalid_grant", "audience is invalid")
    expires = claims.get("exp")
    try:
        expires_at = float(expires)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise INVALID_ASSERTION from None
    if expires_at <= now:
        raise INVALID_ASSERTION
    return app, str(claims.get("sub") or "")


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _json(part: str) -> dict[str, Any]:
    value = json.loads(_b64(part))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
