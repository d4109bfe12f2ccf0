"""Entry point: ``python -m services.translation``."""
from __future__ import annotations

import asyncio
import logging

from services.translation.bootstrap import SERVICE, Translation
from services.translation.settings import TranslationSettings
from shared.cache import connect
from shared.service import run_service
from shared.telemetry import configure_logging
from shared.topics import Topics, ensure_topics


def main() -> None:
    settings = TranslationSettings()
    if not settings.translates:  # publishing reads articles.enriched: nothing would read our output
        configure_logging(SERVICE, settings.log_level)
        logging.getLogger(__name__).warning(
            "no target language (WIRE_TARGET_LANGUAGES is empty): this deployment does not translate "
            "and publishing reads articles.enriched, so translation has nothing to do and exits")
        return
    topics = Topics(settings.topic_prefix)

    async def serve(stop: asyncio.Event) -> None:
        await ensure_topics(settings.kafka_bootstrap, topics,
                            partitions=settings.topic_partitions, replication=settings.topic_replication)
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
