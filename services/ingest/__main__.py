"""Entry point: ``python -m services.ingest``."""
from __future__ import annotations

import asyncio

from services.ingest.bootstrap import SERVICE, build_runner
from shared.cache import connect
from shared.service import run_service
from shared.settings import WireSettings
from shared.topics import Topics, ensure_topics


def main() -> None:
    settings = WireSettings()

    async def serve(stop: asyncio.Event) -> None:
        await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix),
                            partitions=settings.topic_partitions, replication=settings.topic_replication)
        redis = connect(settings.redis_url)
        try:
            await build_runner(settings, redis).run(stop)
        finally:
            await redis.aclose()

    run_service(SERVICE, settings, serve)


if __name__ == "__main__":
    main()
