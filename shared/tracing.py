"""W3C trace context (traceparent) for following one article across services."""
from __future__ import annotations

import os
import re

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent() -> str:
    """Start a trace: a fresh trace id and span id, sampled."""
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def child_traceparent(parent: str | None) -> str:
    """A new span in ``parent``'s trace (a new trace when ``parent`` is missing or invalid)."""
    match = _TRACEPARENT.match(parent or "")
    if not match:
        return new_traceparent()
    return f"00-{match.group(1)}-{os.urandom(8).hex()}-{match.group(3)}"


def trace_id(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None
