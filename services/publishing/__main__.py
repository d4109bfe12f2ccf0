"""Entry point: ``python -m services.publishing``."""
from __future__ import annotations

import asyncio
from functools import partial

from services.publishing.handlers import SERVICE, publish
from shared.bus import StageRunner
from shared.cache import Keys, connect
from shared.read_model import ReadModel
from shared.service import run_service
from shared.settings import WireSettings
from shared.topics import Topics, ensure_topics


def main() -> None:
    settings = WireSettings()
    topics = Topics(settings.topic_prefix)

    async def serve(stop: asyncio.Event) -> None:
        await ensure_topics(settings.kafka_bootstrap, topics,
                            partitions=settings.topic_partitions, replication=settings.topic_replication)
        redis = connect(settings.redis_url)
        try:
            read_model = ReadModel(redis, Keys(settings.topic_prefix))
            runner = StageRunner(stage=SERVICE, topic=topics.translated, group_id=topics.group(SERVICE),
                                 handle=partial(publish, read_model=read_model, out_topic=topics.published),
                                 settings=settings)
            await runner.run(stop)
        finally:
            await redis.aclose()

    run_service(SERVICE, settings, serve)


if __name__ == "__main__":
    main()
