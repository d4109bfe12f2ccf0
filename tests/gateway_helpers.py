"""The gateway in-process on the session's Kafka and Redis, and items put straight into
its read model by publishing's own writer (what a read route serves, without running
the pipeline)."""
from __future__ import annotations

import time
import uuid
from contextlib import asynccontextmanager

import httpx

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.publishing.read_model import Delivery, ReadModelWriter
from shared.cache import SubscriptionKeys
from shared.events import article_id_for
from shared.topics import Topics, ensure_topics

MIB = 1024 * 1024


@asynccontextmanager
async def in_process_gateway(settings, **overrides):
    """(app, client): the gateway app with ``overrides`` to its settings, and an HTTP client on it."""
    await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix), partitions=1)
    app = create_app(GatewaySettings(**{**settings.model_dump(), **overrides}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                     timeout=60) as client:
            yield app, client


async def published(app, uri: str, *, subjects: tuple[str, ...] = (), body: str = "A short one.",
                    feeds: tuple[str, ...] = ()) -> str:
    """Make a live item of ``uri`` in the read model, on the feeds of the subscriptions
    named in ``feeds`` (publishing's own write, decided by hand); its id."""
    article_id = article_id_for(uri)
    item = {"uri": uri, "type": "text", "version": "1", "language": "en",
            "headlines": [{"role": "main", "value": "A story"}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
            "subjects": [{"uri": s, "name": s.rsplit("/", 1)[-1]} for s in subjects]}
    keys = SubscriptionKeys(app.state.keys.prefix)
    writer = ReadModelWriter(app.state.redis, app.state.keys)
    async with app.state.redis.pipeline(transaction=True) as pipe:
        await writer.stage_live(pipe, article_id, item, {"uri": uri, "provider": "wire", "enrichment": {"words": 1}},
                                digest=uuid.uuid4().hex, root=article_id, score_ms=int(time.time() * 1000),
                                deliveries=[Delivery(feed=keys.items(name)) for name in feeds])
        await pipe.execute()
    return article_id
