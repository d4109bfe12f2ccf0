"""CloudEvents 1.0 Kafka binary-mode headers, plus the trace and idempotency headers.

Header names follow the Kafka protocol binding (``ce_`` prefix, ``content-type``).
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

Headers = list[tuple[str, bytes]]

SPEC_VERSION = "1.0"


def event_headers(
    *,
    type: str,
    source: str,
    time: datetime,
    traceparent: str,
    idempotency_key: str,
    content_type: str = "application/json",
    id: str | None = None,
    extra: dict[str, str] | None = None,
) -> Headers:
    """Headers for one event. ``id`` defaults to a fresh UUID; pass the idempotency
    key's hash or similar to make re-deliveries carry the same id."""
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": id or str(uuid.uuid4()),
        "ce_type": type,
        "ce_source": source,
        "ce_time": time.isoformat(),
        "content-type": content_type,
        "traceparent": traceparent,
        "wire_idempotency_key": idempotency_key,
    }
    headers.update(extra or {})
    return [(k, v.encode("utf-8")) for k, v in headers.items()]


def header_items(headers: Any) -> Headers:
    """Record headers as a list of (name, bytes) pairs, whether the client gave a
    sequence of pairs (aiokafka) or a mapping (faust)."""
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v or b"") for k, v in pairs]


def read_headers(headers: Any) -> dict[str, str]:
    """Kafka record headers as a str→str dict (undecodable values are replaced)."""
    return {k: v.decode("utf-8", "replace") for k, v in header_items(headers)}
