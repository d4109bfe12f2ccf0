"""Per-subscription read rate limit (every token of a subscription together), in a
one-minute window shared by every gateway replica: a subscriber cannot make the
gateway load and match list pages and feeds as fast as it can ask.

It counts reads: one per request, and one more per MiB of stored items a request
loaded (a list page or feed of large items loads up to 8 MiB, ~25 ms of the event
loop to load and match), so the limit bounds the work and not only the requests."""
from __future__ import annotations

from fastapi import HTTPException, Request

from services.gateway.metrics import REJECTED
from services.gateway.minute_window import within_limit

MIB = 1024 * 1024


async def charge_read(request: Request, subscription: str) -> None:
    """Count one read by ``subscription`` (any of its tokens); 429 ``read_rate_limited``
    with Retry-After past WIRE_READ_RATE_LIMIT_PER_MINUTE. The operator is not counted."""
    limit = request.app.state.settings.read_rate_limit_per_minute
    if limit <= 0:
        return
    keys = request.app.state.keys
    if (wait := await within_limit(request, lambda minute: keys.reads(subscription, minute), 1, limit)) is not None:
        REJECTED.labels("429", "read_rate_limited").inc()
        raise HTTPException(429, {"error": "read_rate_limited",
                                  "detail": f"more than {limit} reads per minute for this subscription (a request "
                                            "counts one, and one more per MiB of items it loaded)"},
                            headers={"Retry-After": str(wait)})


async def count_loaded(request: Request, reader, loaded_bytes: int) -> None:
    """Count what a subscriber's request loaded (``reader``: deps.Reader), one read per
    whole MiB, against its limit. It does not refuse this request, whose work is done:
    the next one is refused when the limit is passed."""
    if reader.subscription is None or (reads := loaded_bytes // MIB) <= 0:
        return
    if (limit := request.app.state.settings.read_rate_limit_per_minute) <= 0:
        return
    keys = request.app.state.keys
    await within_limit(request, lambda minute: keys.reads(reader.subscription.name, minute), reads, limit)


def loaded_size(stored) -> int:
    """The bytes of a stored item (``shared.read_model.StoredItem``, or None) a route loaded."""
    return len(stored.item_json or b"") if stored is not None else 0
