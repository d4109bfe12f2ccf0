"""The registration half of the outbound guard: a subscription whose webhook URL
leads to an internal address is refused with 422 and the reason, before it is
saved. (Publishing checks again at every connect: DNS answers change.)"""
from __future__ import annotations

import asyncio

from fastapi import HTTPException

from shared.outbound import OutboundError, OutboundPolicy, check_url
from shared.settings import WireSettings
from shared.subscriptions import Outputs

RESOLVE_TIMEOUT_S = 5.0


async def refuse_unreachable_webhook(outputs: Outputs, settings: WireSettings) -> None:
    """Raise HTTPException 422 unless ``outputs`` has no webhook or its URL resolves
    only to addresses outbound HTTP may reach (``WIRE_OUTBOUND_ALLOWED_NETWORKS``)."""
    if outputs.webhook is None:
        return
    policy = OutboundPolicy.allowing(settings.outbound_allowed_networks)
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            await check_url(outputs.webhook.url, policy)
    except TimeoutError:
        detail = f"the webhook host did not resolve within {RESOLVE_TIMEOUT_S:g} s"
    except OutboundError as exc:
        detail = f"webhook url refused: {exc}"
    else:
        return
    raise HTTPException(422, {"error": "webhook_url_refused", "detail": detail})
