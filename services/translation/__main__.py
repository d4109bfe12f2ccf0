"""Entry point: ``python -m services.translation``."""
from __future__ import annotations

import asyncio
from functools import partial

from services.translation.handlers import translate
from shared.bus import StageRunner
from shared.events import Stage
from shared.service import run_service
from shared.settings import WireSettings
from shared.stage import article_handler
from shared.topics import Topics, ensure_topics

SERVICE = "translation"


class TranslationSettings(WireSettings):
    # Languages every article should be published in (WIRE_TARGET_LANGUAGES='["pt","es"]').
    target_languages: list[str] = []


def main() -> None:
    settings = TranslationSettings()
    topics = Topics(settings.topic_prefix)

    async def serve(stop: asyncio.Event) -> None:
        await ensure_topics(settings.kafka_bootstrap, topics,
                            partitions=settings.topic_partitions, replication=settings.topic_replication)
        handle = article_handler(stage=Stage.TRANSLATED, service=SERVICE, out_topic=topics.translated,
                                 transform=partial(translate, targets=settings.target_languages))
        runner = StageRunner(stage=SERVICE, topic=topics.enriched, group_id=topics.group(SERVICE),
                             handle=handle, settings=settings)
        await runner.run(stop)

    run_service(SERVICE, settings, serve)


if __name__ == "__main__":
    main()
