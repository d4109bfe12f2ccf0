"""The webhook workers of a publishing process: one per subscription that has a
webhook (:class:`~services.publishing.outbox.WebhookWorker`), started, updated and
stopped as the subscriptions change, and the dead-letter function they share."""
from __future__ import annotations

import asyncio
import logging
import time

import httpx

from services.publishing.outbox import WebhookWorker, field_text
from services.publishing.settings import PublishingSettings
from services.publishing.webhooks import Attempt
from shared.bus import Outgoing, fitted_letter
from shared.stopping import sleep_until
from shared.subscriptions import Subscription, SubscriptionKeys

log = logging.getLogger(__name__)


class WebhookDispatcher:
    """Starts a worker per subscription that has a webhook, and stops or updates the
    workers when the subscriptions change."""

    def __init__(self, *, redis, keys: SubscriptionKeys, client: httpx.AsyncClient, dead_letter,
                 settings: PublishingSettings) -> None:
        self.redis, self.keys, self.client = redis, keys, client
        self.dead_letter, self.settings = dead_letter, settings
        self.workers: dict[str, tuple[WebhookWorker, asyncio.Event, asyncio.Task]] = {}

    async def sync(self, subscriptions: list[Subscription]) -> None:
        wanted = {s.name: s for s in subscriptions if s.outputs.webhook is not None}
        for name in list(self.workers):
            if name not in wanted:
                worker, stop, task = self.workers.pop(name)
                stop.set()
                task.cancel()
                # the subscription (or its webhook) is gone: so are its pending deliveries
                await asyncio.gather(task, return_exceptions=True)
                await self.redis.delete(self.keys.outbox(name), self.keys.outbox_bytes(name))
        for name, sub in wanted.items():
            if name in self.workers and not self.workers[name][2].done():
                worker = self.workers[name][0]
                # of a version the worker cannot tell from its own copy's: it re-reads before its next POST
                worker.subscription, worker.version = sub, None
                continue
            worker = WebhookWorker(sub, redis=self.redis, keys=self.keys, client=self.client,
                                   dead_letter=self.dead_letter, settings=self.settings)
            stop = asyncio.Event()
            task = asyncio.create_task(self._supervise(worker, stop), name=f"webhook:{name}")
            self.workers[name] = (worker, stop, task)

    async def _supervise(self, worker: WebhookWorker, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await worker.run(stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - e.g. a Redis hiccup: start the worker again
                log.error("webhook worker failed, restarting", extra={"subscription": worker.name,
                                                                      "error": repr(exc)})
                await sleep_until(stop, 1.0)

    async def close(self) -> None:
        for _, stop, task in self.workers.values():
            stop.set()
        await asyncio.gather(*(task for _, _, task in self.workers.values()), return_exceptions=True)



def kafka_dead_letter(producer, topic: str, max_bytes: int):
    """The dead-letter function of the workers: the record of :func:`webhook_letter`."""

    async def dead_letter(sub: Subscription, fields, attempt: int, result: Attempt, reason: str) -> None:
        letter = webhook_letter(sub, fields, attempt, result, reason, topic=topic, max_bytes=max_bytes)
        await producer.send_and_wait(letter.topic, letter.value, key=letter.key, headers=letter.headers)

    return dead_letter


def webhook_letter(sub: Subscription, fields, attempt: int, result: Attempt, reason: str, *, topic: str,
                   max_bytes: int) -> Outgoing:
    """The body to ``topic`` (keyed by uri) with the reason in ``wire_dlq_*`` headers,
    like the stages' DLQs, within ``max_bytes`` (a body near it travels as its size and
    digest: a letter the producer refused was tried again every second, and the
    subscription's queue waited behind it for ever). The webhook is named by the
    subscription and ``wire_dlq_webhook``, its URL's reference (scheme, host,
    SHA-256): the URL itself may hold the secret."""
    reasons = {
        "wire_dlq_stage": "publishing.webhook", "wire_dlq_subscription": sub.name,
        "wire_dlq_webhook": sub.outputs.webhook.reference if sub.outputs.webhook else "",
        "wire_dlq_reason": reason, "wire_dlq_http_status": str(result.status or ""),
        "wire_dlq_error_message": (result.error or "")[:2000], "wire_dlq_attempts": str(attempt),
        "wire_dlq_failed_at": str(time.time()), "wire_signal": field_text(fields, b"signal"),
        "wire_article_id": field_text(fields, b"article_id"),
    }
    return fitted_letter(topic, fields.get(b"uri"), fields.get(b"body"), [], reasons, max_bytes)
