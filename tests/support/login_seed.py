"""An emulator seed that clients can log in to: a connected app with a certificate, a secret, a run-as
user and pre-authorized users, and user passwords (the ``connected_apps`` and ``user_logins`` sections
of ``providers/emulator/org/credentials.py``), plus the RSA key pair whose certificate the app holds.

``write_login_seed(directory)`` writes ``seed.json`` (the provider seed with those sections),
``jwt.key`` (the private key, PKCS#8 PEM) and ``other.key`` (a key the app does not know) and returns a
``LoginSeed`` naming them and the credentials.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

BASE_SEED = Path(__file__).resolve().parents[1] / "emulator_seeds" / "provider.json"
CONSUMER_KEY = "3MVG9emulated-ci-consumer-key"
CONSUMER_SECRET = "emu-consumer-secret-5b1f"
RUN_AS_KEY = "3MVG9emulated-cc-consumer-key"
RUN_AS_SECRET = "emu-cc-secret-77aa"
USERNAME = "admin@acme.com"
PASSWORD = "Emu-Passw0rd!"
SECURITY_TOKEN = "emuTok3n"
REFRESH_TOKEN = "5Aep861emulatedRefreshToken"
OUTSIDER = "carol@acme.com"  # a seed user not pre-authorized on the app


@dataclass(frozen=True)
class LoginSeed:
    seed: Path
    key_file: Path
    other_key_file: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_for(key: rsa.RSAPrivateKey) -> str:
    """A self-signed certificate of ``key``, PEM text (what an admin uploads to the connected app)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reconcile-ci")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def write_login_seed(directory: Path) -> LoginSeed:
    directory.mkdir(parents=True, exist_ok=True)
    key, other = _key(), _key()
    document = json.loads(BASE_SEED.read_text(encoding="utf-8"))
    document["connected_apps"] = [
        {
            "name": "reconcile_ci",
            "consumer_key": CONSUMER_KEY,
            "consumer_secret": CONSUMER_SECRET,
            "certificate": certificate_for(key),
            "pre_authorized": [USERNAME, "alice@acme.com"],
            "refresh_tokens": [{"token": REFRESH_TOKEN, "username": USERNAME}],
        },
        {
            "name": "reconcile_cc",
            "consumer_key": RUN_AS_KEY,
            "consumer_secret": RUN_AS_SECRET,
            "run_as": USERNAME,
        },
    ]
    document["user_logins"] = [{"username": USERNAME, "password": PASSWORD, "security_token": SECURITY_TOKEN}]
    seed = directory / "seed.json"
    seed.write_text(json.dumps(document), encoding="utf-8")
    key_file, other_file = directory / "jwt.key", directory / "other.key"
    key_file.write_bytes(_pem(key))
    other_file.write_bytes(_pem(other))
    return LoginSeed(seed, key_file, other_file)
