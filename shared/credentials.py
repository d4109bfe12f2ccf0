"""Keys, read tokens and webhook secrets: how they are checked and how they are kept.

- Provider and admin keys come from the environment. A configured key may be given
  in clear or as ``sha256:<hex>`` of the key, so a deployment's configuration need
  not hold it in clear either; every comparison is constant-time.
- A subscriber's read token is 256 random bits, shown once; only its SHA-256 is
  stored (a fast hash is enough for a random secret of that size: there is nothing
  to guess by brute force).
- A webhook secret must be usable to sign, so it cannot be hashed: it is sealed
  (Fernet: AES-128-CBC + HMAC-SHA256) with ``WIRE_SECRET_KEY`` before it is written to
  Redis or Kafka, and opened only by publishing when it signs.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

TOKEN_PREFIX = "wst_"
HASHED = "sha256:"
# Used only when WIRE_SECRET_KEY is unset, which the gateway allows on loopback alone.
DEV_SECRET_KEY = "wirestream-development-secret-key"


def derived_key(secret_key: str | None, purpose: bytes) -> bytes:
    """A key of its own for ``purpose``, from ``WIRE_SECRET_KEY`` (the development key
    when unset): a MAC made for one purpose can never pass for another's."""
    return hashlib.sha256(purpose + b"\0" + (secret_key or DEV_SECRET_KEY).encode("utf-8")).digest()


def digest(secret: str) -> str:
    """Hex SHA-256 of ``secret``: what is stored in place of a key or token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_matches(given: str, configured: str) -> bool:
    """Whether ``given`` is ``configured`` (in clear, or as ``sha256:<hex>``), in
    constant time."""
    if configured.startswith(HASHED):
        return hmac.compare_digest(digest(given), configured[len(HASHED):].lower())
    return hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8"))


def new_read_token() -> tuple[str, str]:
    """A fresh read token and its public id (the first characters of its digest)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, digest(token)[:12]


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class SecretBox:
    """Seals and opens webhook secrets with the deployment's ``WIRE_SECRET_KEY``."""

    def __init__(self, secret_key: str | None) -> None:
        material = hashlib.sha256((secret_key or DEV_SECRET_KEY).encode("utf-8")).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(material))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret in clear. Raises ValueError when it was sealed with another key."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("webhook secret sealed with another WIRE_SECRET_KEY") from exc


def signing_secret(webhook, settings) -> str:
    """The clear secret a webhook's deliveries are signed with (``webhook`` is a
    :class:`shared.subscriptions.Webhook`; ``settings`` carries ``secret_key``)."""
    if webhook.sealed_secret:
        return SecretBox(settings.secret_key).open(webhook.sealed_secret)
    return webhook.secret or ""
