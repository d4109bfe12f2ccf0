"""The gateway's FastAPI application: composition root and lifespan."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from services.gateway import problems
from services.gateway.query_params import document_parameters_plainly, refuse_repeated_single_values
from services.gateway.routes import articles, dashboard, health, ops
from services.gateway.routes import articles_query, feeds, stream, subscriptions
from services.gateway.routes import enrichment
from services.gateway.settings import GatewaySettings
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from shared.read_model import ReadModel
from shared.topics import Topics


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        producer = make_producer(settings, request_timeout_ms=int(settings.kafka_timeout_s * 1000))
        redis = connect(settings.redis_url)
        await producer.start()
        keys = Keys(settings.topic_prefix)
        app.state.producer = producer
        app.state.redis = redis
        app.state.keys = keys
        app.state.read_model = ReadModel(redis, keys)
        app.state.registry = StoryRegistry(redis, keys)
        try:
            yield
        finally:
            await producer.stop()
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
    app.state.topics = Topics(settings.topic_prefix)
    app.include_router(articles.router)
    app.include_router(enrichment.router)
    app.include_router(health.router)
    app.include_router(ops.router)  # its lifespan runs the ops monitor and the gateway's heartbeat
    app.include_router(dashboard.router)
    for router in (articles_query.router, subscriptions.router, feeds.router, stream.router):
        app.include_router(router)
    return app
