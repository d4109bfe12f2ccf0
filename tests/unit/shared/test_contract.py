"""The typed event contract: envelope records, unknown schema versions, the submission result."""
from __future__ import annotations

import orjson
import pytest

from shared.codec import decode, encode
from shared.errors import MalformedEvent, UnknownSchemaVersion
from shared.events import (Article, ArticleEvent, EnrichmentInfo, Envelope, SubmittedItem, TranslationInfo,
                           article_id_for, utcnow)


def event() -> ArticleEvent:
    envelope = Envelope(article_id=article_id_for("urn:t:1"), provider="wire", received_at=utcnow(),
                        source_format="ninjs", content_type="application/json", traceparent="tp")
    return ArticleEvent(envelope=envelope, article=Article(uri="urn:t:1"))


def raw(e: ArticleEvent, **envelope) -> bytes:
    data = orjson.loads(encode(e))
    data["envelope"].update(envelope)
    return orjson.dumps(data)


def test_an_unknown_schema_version_is_refused_with_its_reason():
    with pytest.raises(UnknownSchemaVersion, match="schema_version 999") as caught:
        decode(ArticleEvent, raw(event(), schema_version=999))
    # the DLQ path of every malformed event: not retriable, a code of its own
    assert isinstance(caught.value, MalformedEvent) and not caught.value.retriable
    assert caught.value.code == "unknown_schema_version"


def test_the_current_schema_version_decodes():
    assert decode(ArticleEvent, raw(event(), schema_version=1)).envelope.schema_version == 1


def test_old_records_with_plain_dicts_decode_into_the_typed_records():
    data = raw(event(), translation={"role": "translation", "of_article_id": "abc", "segments": 4},
               enrichment={"entities": [{"type": "person", "name": "Kim"}], "storyCluster": {"id": "c1"},
                           "trendsDeferred": True, "somethingNew": 1})
    env = decode(ArticleEvent, data).envelope
    assert isinstance(env.translation, TranslationInfo) and env.translation.of_article_id == "abc"
    assert env.translation["segments"] == 4  # detail no other stage reads is kept
    assert isinstance(env.enrichment, EnrichmentInfo) and env.enrichment.storyCluster.id == "c1"
    assert env.enrichment.trendsDeferred is True and env.enrichment["somethingNew"] == 1


def test_records_round_trip_unchanged():
    e = event()
    e.envelope.translation = TranslationInfo(role="original", translations=[{"uri": "u", "article_id": "a"}])
    e.envelope.enrichment["storyCluster"] = {"id": "c1", "method": "minhash-lsh"}
    assert orjson.loads(encode(decode(ArticleEvent, encode(e)))) == orjson.loads(encode(e))


def test_a_misspelt_role_is_refused_not_silently_ungrouped():
    with pytest.raises(MalformedEvent):
        decode(ArticleEvent, raw(event(), translation={"role": "orignal"}))


def test_an_absent_detail_reads_as_missing():
    info = EnrichmentInfo()
    assert info.get("summary") is None and "summary" not in info
    with pytest.raises(KeyError):
        info["summary"]


def test_the_submission_result_answers_as_before():
    item = SubmittedItem.of(uri="urn:t:1", format="ninjs", status="stale", version=None)
    assert item.answer() == {"id": article_id_for("urn:t:1"), "uri": "urn:t:1", "format": "ninjs",
                             "status": "stale", "duplicate": False, "stale": True}
