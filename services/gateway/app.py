"""The gateway's FastAPI application: composition root and lifespan."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from services.gateway import problems, unavailable
from services.gateway.event_stream import SubscriptionStreams
from services.gateway.json_body import document_json_bodies
from services.gateway.query_params import document_parameters_plainly, refuse_repeated_single_values
from services.gateway.request_limits import RequestLimits
from services.gateway.routes import articles, dashboard, health, ops
from services.gateway.routes import articles_query, feeds, stream, subscriptions
from services.gateway.routes import enrichment
from services.gateway.settings import GatewaySettings
from services.gateway.shared_requests import SharedRequests
from services.gateway.stream_slots import StreamSlots
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.formats import parse
from shared.formats.base import ParsedItem
from shared.identity import StoryRegistry
from shared.parse_pool import ParsePool
from shared.parsed_payload import PayloadSeal
from shared.read_model import ReadModel
from shared.topics import Topics
from shared.withdrawals import Withdrawals


def create_app(settings: GatewaySettings | None = None, *,
               parse_fn: Callable[..., list[ParsedItem]] = parse) -> FastAPI:
    """The gateway. ``parse_fn``: what the parse workers run (a module-level function;
    tests pass one of their own)."""
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        producer = make_producer(settings, request_timeout_ms=int(settings.kafka_timeout_s * 1000),
                                 linger_ms=settings.kafka_linger_ms)
        redis = connect(settings.redis_url, timeout_s=settings.redis_timeout_s, retries=settings.redis_retries)
        # One connection per stream at most (its reads are sequential), and a reply
        # timeout longer than the stream's blocking read.
        stream_redis = connect(settings.redis_url, timeout_s=settings.redis_timeout_s + stream.BLOCK_MS / 1000,
                               retries=settings.redis_retries, max_connections=settings.stream_max)
        parse_pool = ParsePool(workers=settings.parse_workers, timeout_s=settings.parse_timeout_s,
                               max_tasks=settings.parse_max_tasks, max_rss_mb=settings.parse_worker_max_mb,
                               parse_fn=parse_fn, spare_workers=settings.parse_spare_workers,
                               max_per_provider=settings.parse_max_per_provider,
                               max_waiting=settings.parse_max_waiting)
        await producer.start()
        keys = Keys(settings.topic_prefix)
        app.state.producer = producer
        app.state.redis = redis
        app.state.stream_redis = stream_redis
        app.state.parse_pool = parse_pool
        app.state.readiness = health.ReadinessCheck()  # of this loop: a restarted app starts a new one
        # What the gateway parsed travels sealed beside the payload: ingest skips its parse.
        app.state.payload_seal = PayloadSeal(settings.secret_key, max_record_bytes=settings.max_record_bytes)
        app.state.keys = keys
        app.state.read_model = ReadModel(redis, keys)
        app.state.registry = StoryRegistry(redis, keys, settings.uri_owners)
        app.state.withdrawals = Withdrawals(redis, settings.topic_prefix)
        app.state.shared_requests = SharedRequests(producer)
        try:
            yield
        finally:
            await producer.stop()
            parse_pool.close()
            await stream_redis.aclose()
            await redis.aclose()

    app = FastAPI(
        title="Wirestream gateway",
        summary="Push news articles in; read published ninjs items out.",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_repeated_single_values)],
    )
    app.state.settings = settings
    problems.install(app)  # every error answers the documented Problem body
    document_parameters_plainly(app)
    document_json_bodies(app)  # bodies are read after authentication, not as FastAPI parameters
    app.state.topics = Topics(settings.topic_prefix)
    app.state.subscription_streams = SubscriptionStreams(settings.stream_max_per_subscription)
    # Added last = runs first: limits come before any route, authentication or parsing.
    app.add_middleware(StreamSlots, total=settings.stream_max, per_token=settings.stream_max_per_token,
                       retry_after_s=settings.retry_after_s)
    app.add_middleware(RequestLimits, max_body_bytes=settings.max_body_bytes,
                       max_header_bytes=settings.max_header_bytes,
                       max_idempotency_key_chars=settings.max_idempotency_key_chars,
                       body_timeout_s=settings.body_timeout_s)
    unavailable.install(app, retry_after_s=settings.retry_after_s)
    app.include_router(articles.router)
    app.include_router(enrichment.router)
    app.include_router(health.router)
    app.include_router(ops.router)  # its lifespan runs the ops monitor and the gateway's heartbeat
    app.include_router(dashboard.router)
    for router in (articles_query.router, subscriptions.router, feeds.router, stream.router):
        app.include_router(router)
    return app
