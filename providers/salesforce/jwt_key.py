"""The private key of the JWT bearer flow: read from its file and checked before any login is tried.

``signing_key(org, source)`` returns the key as unencrypted PKCS#8 PEM text, ready for simple-salesforce
to sign the assertion with (RS256). Every way the file can be wrong is a ``ProviderError`` for ``org``
that names the setting the path came from (``auth.key_file``, or ``auth.key_file_env`` and its
variable) and says what to do: missing, a directory, unreadable, not PEM, a certificate or public key
instead of the private key, encrypted with a passphrase, not an RSA key. The key's content is never
quoted.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from reconcile.errors import ProviderError

PEM_HEADERS = "-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----"


@dataclass(frozen=True)
class KeySource:
    """Where the key file's path came from: ``setting`` is ``auth.key_file`` or ``auth.key_file_env``;
    ``variable`` the environment variable that held the path (for ``key_file_env``)."""

    path: Path
    setting: str
    variable: str = ""

    @property
    def where(self) -> str:
        return f"{self.path} (the path in {self.variable})" if self.variable else str(self.path)

    @property
    def fix(self) -> str:
        target = "the connected app's private key file (PEM)"
        if self.variable:
            return f"set {self.variable} to the path of {target}"
        return f"point {self.setting} at {target}"


def signing_key(org: str, source: KeySource) -> str:
    """The RSA private key in ``source.path`` as PKCS#8 PEM text (see the module docstring)."""
    data = _read(org, source)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        raise _error(
            org,
            source,
            f"the private key file {source.where} is encrypted with a passphrase",
            "JWT login needs it unencrypted: `openssl pkey -in ENCRYPTED.key -out jwt.key` writes "
            "a copy without the passphrase (keep it as private as the original)",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise _not_a_private_key(org, source, data) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise _error(
            org,
            source,
            f"the private key in {source.where} is not an RSA key",
            "Salesforce's JWT bearer flow signs with RS256: use the RSA key whose certificate is "
            "uploaded to the connected app",
        )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode("ascii")


def _read(org: str, source: KeySource) -> bytes:
    try:
        return source.path.read_bytes()
    except FileNotFoundError:
        relative = "" if source.variable else " (a relative path is relative to the configuration directory)"
        raise _error(
            org, source, f"the private key file {source.where} does not exist", source.fix + relative
        ) from None
    except IsADirectoryError:
        raise _error(org, source, f"{source.where} is a directory, not a private key file", source.fix) from None
    except PermissionError:
        raise _error(
            org,
            source,
            f"cannot read the private key file {source.where} (permission denied)",
            "let the user running reconcile read it (as its owner: `chmod 600 FILE`)",
        ) from None
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise _error(org, source, f"cannot read the private key file {source.where} ({reason})", source.fix) from None


def _not_a_private_key(org: str, source: KeySource, data: bytes) -> ProviderError:
    if b"-----BEGIN" in data and b"PRIVATE KEY-----" not in data:
        return _error(
            org,
            source,
            f"{source.where} holds a certificate or public key, not the private key",
            f"the certificate goes to the connected app, its private key to {source.setting}",
        )
    return _error(
        org,
        source,
        f"{source.where} is not a PEM private key",
        f"{source.fix}: a text file starting with {PEM_HEADERS} (convert a DER key with "
        "`openssl pkey -inform DER -in KEY.der -out jwt.key`)",
    )


def _error(org: str, source: KeySource, problem: str, todo: str) -> ProviderError:
    return ProviderError(f"{source.setting}: {problem}; {todo}", org=org)
