"""Gateway settings (environment first, prefix WIRE_)."""
from __future__ import annotations

import ipaddress

from pydantic import model_validator

from shared.settings import WireSettings

DEV_KEY = "dev-key"
DEV_ADMIN_KEY = "dev-admin-key"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GatewaySettings(WireSettings):
    host: str = "127.0.0.1"
    port: int = 8000
    # One key for one provider (WIRE_API_KEY / WIRE_PROVIDER) and/or a JSON map of
    # key → provider (WIRE_API_KEYS='{"k1": "reuters", "k2": "ap"}').
    api_key: str | None = None
    provider: str = "local"
    api_keys: dict[str, str] = {}
    max_body_bytes: int = 5 * 1024 * 1024
    kafka_timeout_s: float = 10.0
    # Submissions per API key per minute (429 with Retry-After above it); 0 = no limit.
    rate_limit_per_minute: int = 6000
    # How long an Idempotency-Key's answer is replayed.
    idempotency_ttl_s: int = 24 * 3600
    max_bulk_articles: int = 500
    # Key of the subscription admin API (Authorization: Bearer <key>). Without one the
    # gateway uses "dev-admin-key", only while it listens on loopback.
    admin_key: str | None = None

    @model_validator(mode="after")
    def _keys_configured(self) -> "GatewaySettings":
        if not self.api_key and not self.api_keys:
            if not is_loopback(self.host):
                raise ValueError(
                    f"no API keys configured and the gateway listens on {self.host}: "
                    "set WIRE_API_KEY or WIRE_API_KEYS (the dev key is only allowed on loopback)"
                )
            self.api_key = DEV_KEY
        if not self.admin_key:
            if not is_loopback(self.host):
                raise ValueError(
                    f"no admin key configured and the gateway listens on {self.host}: "
                    "set WIRE_ADMIN_KEY (the dev admin key is only allowed on loopback)"
                )
            self.admin_key = DEV_ADMIN_KEY
        if not self.secret_key and not is_loopback(self.host):
            raise ValueError(f"no WIRE_SECRET_KEY configured and the gateway listens on {self.host}: set it "
                             "(it seals webhook secrets; publishing needs the same one)")
        return self

    def providers_by_key(self) -> dict[str, str]:
        keys = dict(self.api_keys)
        if self.api_key:
            keys[self.api_key] = self.provider
        return keys
