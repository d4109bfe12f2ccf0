"""Gateway settings (environment first, prefix WIRE_)."""
from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from shared.settings import WireSettings

DEV_KEY = "dev-key"
DEV_ADMIN_KEY = "dev-admin-key"
# Room for a record's headers and framing beside the payload.
RECORD_HEADROOM = 64 * 1024


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
    # Every request's body, on every route (413 as soon as it passes); must fit in a
    # Kafka record (max_record_bytes) with room for the headers.
    max_body_bytes: int = 5 * 1024 * 1024
    max_header_bytes: int = 16 * 1024
    # A request's head (request line and headers) must arrive within this (408 past it).
    head_timeout_s: float = Field(default=10.0, gt=0)
    # A request's body must arrive within this from its first read (408 past it): 5 MiB
    # then needs about 90 KB/s.
    body_timeout_s: float = Field(default=60.0, gt=0)
    # A subscription's JSON body (POST/PUT /v1/subscriptions): a filter and outputs are
    # small, so a large body is a mistake or an attack (413 past it).
    max_subscription_body_bytes: int = 64 * 1024
    max_idempotency_key_chars: int = 200
    kafka_timeout_s: float = 10.0
    # How long a submission's record may wait for those of the other submissions under
    # way, to share a produce request with them (the stages' producers wait 2 ms): 0.7
    # ms of CPU an article less on the bench's stack (16 clients). With no other
    # submission under way (a lone client, a bulk's entries) it leaves at once
    # (services/gateway/shared_requests.py).
    kafka_linger_ms: int = Field(10, ge=0, le=100)
    # Connect and reply timeout of every Redis command (503 past it), and retries on a
    # fresh connection.
    redis_timeout_s: float = 2.0
    redis_retries: int = 1
    # Seconds a client is told to wait (Retry-After) when Kafka or Redis is unavailable.
    retry_after_s: int = 5
    # Reads per subscription (all its tokens together) per minute, 429 with Retry-After
    # above it: one per request and one per MiB of items a request loaded (a list page
    # or feed loads up to 8 MiB); the operator's key is not limited; 0 = no limit.
    read_rate_limit_per_minute: int = 3000
    # Failed authentications per client address per minute before that address gets
    # 429 until the minute is over; 0 = no limit.
    auth_failures_per_minute: int = 20
    # The proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the
    # client: its address is then the one failed keys and streams are counted by. A proxy
    # must append the address it saw; "*" (any peer) is refused: every client could then
    # name itself anew with each guess.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Concurrent SSE streams overall and per token (or per client address without
    # one); past either: 503 with Retry-After. Streams have their own Redis
    # connections (one each), so they never take the rest of the API's.
    stream_max: int = 200
    stream_max_per_token: int = 20
    # ... and per subscription (a subscription has many tokens, and the operator's key
    # reads every subscription): 503 past it.
    stream_max_per_subscription: int = 20
    # A stream whose client takes no data for this long is closed (its slot freed).
    stream_send_timeout_s: float = 30.0
    # How long an Idempotency-Key's answer is replayed.
    idempotency_ttl_s: int = 24 * 3600
    max_bulk_articles: int = 500
    # How the parse workers (WIRE_PARSE_WORKERS) are shared among providers: a provider
    # runs at most WIRE_PARSE_WORKERS - parse_spare_workers parses at once (at least one),
    # so one provider's slow payloads leave a worker to the others; it may have at most
    # parse_max_per_provider payloads parsing or waiting (429 too_many_parses past it),
    # and at most parse_max_waiting payloads wait for a worker overall (503 parse_queue_full).
    parse_spare_workers: int = Field(1, ge=0)
    parse_max_per_provider: int = Field(16, ge=1)
    parse_max_waiting: int = Field(64, ge=1)
    # Key of the subscription admin API (Authorization: Bearer <key>). Without one the
    # gateway uses "dev-admin-key", only while it listens on loopback.
    admin_key: str | None = None

    @model_validator(mode="after")
    def _body_fits_a_record(self) -> "GatewaySettings":
        if self.max_body_bytes + RECORD_HEADROOM > self.max_record_bytes:
            raise ValueError(f"WIRE_MAX_BODY_BYTES ({self.max_body_bytes}) + {RECORD_HEADROOM} bytes of headers "
                             f"must fit in WIRE_MAX_RECORD_BYTES ({self.max_record_bytes})")
        return self

    @model_validator(mode="after")
    def _proxies_named(self) -> "GatewaySettings":
        if "*" in (part.strip() for part in self.forwarded_allow_ips.split(",")):
            raise ValueError("WIRE_FORWARDED_ALLOW_IPS may not be \"*\": name the proxies, or any client could "
                             "name its own address in X-Forwarded-For and escape the failed-key throttle")
        return self

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
