"""Entry point: ``python -m services.translation``."""
from __future__ import annotations

import asyncio

from services.translation.bootstrap import SERVICE, Translation
from services.translation.settings import TranslationSettings
from shared.cache import connect
from shared.service import run_service
from shared.topics import Topics, ensure_topics


def main() -> None:
    settings = TranslationSettings()
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
