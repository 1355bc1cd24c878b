"""Secrets never go in the configuration: which keys would hold one, and what to write instead.

A key named like a secret (``password``, ``token``, ``client_secret``, ``private_key``, anything ending in
``_password``/``_token``/``_secret``) is refused wherever it appears in an org's table, with a message
naming the ``*_env`` or ``key_file`` key that replaces it. The value is never repeated.
"""

from __future__ import annotations

SECRET_NAMES = frozenset(
    {"password", "token", "access_token", "security_token", "client_secret", "secret", "private_key", "key"}
)
ENV_FOR_SECRET = {"token": "token_env", "access_token": "token_env", "secret": "client_secret_env"}


def is_secret_name(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_NAMES or lowered.endswith(("_password", "_token", "_secret"))


def secret_message(key: str) -> str:
    head = f"literal secret in `{key}`: secrets never go in TOML; "
    if key.lower() in ("key", "private_key"):
        return (
            head + "put the key in a file and name it with `key_file`, or name an environment variable "
            "holding its path with `key_file_env`"
        )
    env = ENV_FOR_SECRET.get(key.lower(), f"{key}_env")
    return head + f"set an environment variable and name it with `{env}`"
