"""Entry point: ``python -m services.translation``."""
from __future__ import annotations

import asyncio
import logging
import signal

from services.translation.bootstrap import SERVICE, Translation
from services.translation.settings import TranslationSettings
from shared.cache import connect
from shared.service import run_service
from shared.telemetry import configure_logging, serve_metrics
from shared.topics import Topics, ensure_topics


def idle(settings: TranslationSettings) -> None:
    """Wait for SIGTERM or SIGINT doing nothing, having said why: a container
    platform that restarts what exits (compose's ``unless-stopped``) would otherwise
    restart it forever, and one that does not would not restart it after a daemon
    restart once the deployment translates."""
    configure_logging(SERVICE, settings.log_level)
    stopping = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stopping)  # before any thread: they inherit the mask
    serve_metrics(settings.metrics_port, settings.metrics_host)  # what a container's health check polls
    logging.getLogger(__name__).warning(
        "no target language (WIRE_TARGET_LANGUAGES is empty): this deployment does not translate and "
        "publishing reads articles.enriched; translation idles until it is stopped")
    signal.sigwait(stopping)


def main() -> None:
    settings = TranslationSettings()
    if not settings.translates:  # publishing reads articles.enriched: nothing would read our output
        idle(settings)
        return
    topics = Topics(settings.topic_prefix)

    async def serve(stop: asyncio.Event) -> None:
        await ensure_topics(settings.kafka_bootstrap, topics, partitions=settings.topic_partitions,
                            replication=settings.topic_replication, max_record_bytes=settings.max_record_bytes)
        redis = connect(settings.redis_url)
        translation = Translation.build(settings, redis)
        try:
            await translation.warm_up()
            await translation.runner(topics).run(stop)
        finally:
            await translation.aclose()
            await redis.aclose()

    run_service(SERVICE, settings, serve)


if __name__ == "__main__":
    main()
