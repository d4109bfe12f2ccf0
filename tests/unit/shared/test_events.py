"""The event contract: models, codec, CloudEvents headers, trace context."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from shared.cloudevents import event_headers, header_items, read_headers
from shared.codec import decode, encode
from shared.errors import MalformedEvent
from shared.events import Article, ArticleEvent, Envelope, Signal, Stage, TextBlock, article_id_for
from shared.ninjs import ninjs_errors
from shared.stage import event_id
from shared.tracing import child_traceparent, new_traceparent, trace_id


def sample_event() -> ArticleEvent:
    article = Article(uri="urn:wirestream:test:1", headlines=[TextBlock(role="main", value="Hello")],
                      bodies=[TextBlock(role="main", contentType="text/plain", value="One.\n\nTwo.")])
    envelope = Envelope(article_id=article_id_for(article.uri), provider="test",
                        received_at=datetime(2024, 12, 18, tzinfo=timezone.utc), source_format="text/plain",
                        content_type="text/plain", traceparent=new_traceparent())
    return ArticleEvent(envelope=envelope, article=article)


def test_event_survives_the_codec_unchanged():
    event = sample_event()
    assert decode(ArticleEvent, encode(event)) == event


def test_ninjs_output_has_no_pipeline_data_and_is_valid():
    item = sample_event().article.to_ninjs()
    assert set(item) <= {"uri", "type", "version", "pubStatus", "headlines", "bodies"}
    assert ninjs_errors(item) == []


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"envelope": {}}', None])
def test_undecodable_values_are_malformed_events(raw):
    with pytest.raises(MalformedEvent):
        decode(ArticleEvent, raw)


def test_idempotency_key_and_event_id_are_deterministic():
    event = sample_event()
    assert event.idempotency_key(Stage.ENRICHED) == "urn:wirestream:test:1@1:enriched"
    assert event_id(event.idempotency_key(Stage.ENRICHED)) == event_id("urn:wirestream:test:1@1:enriched")
    assert event_id("a@1:x") != event_id("a@2:x")


def test_cloudevents_binary_mode_headers():
    tp = new_traceparent()
    headers = event_headers(type=Stage.INGESTED.event_type, source="wirestream/ingest",
                            time=datetime(2024, 1, 1, tzinfo=timezone.utc), traceparent=tp,
                            idempotency_key="u@1:ingested", id="fixed", extra={"wire_signal": Signal.NEW})
    read = read_headers(headers)
    assert read["ce_specversion"] == "1.0"
    assert read["ce_type"] == "wire.article.ingested.v1"
    assert read["ce_id"] == "fixed" and read["ce_source"] == "wirestream/ingest"
    assert read["ce_time"] == "2024-01-01T00:00:00+00:00"
    assert read["content-type"] == "application/json"
    assert read["traceparent"] == tp and read["wire_idempotency_key"] == "u@1:ingested"
    assert read["wire_signal"] == "new"
    # faust hands headers over as a mapping, aiokafka as pairs: both read the same
    assert read_headers(dict(header_items(headers))) == read


def test_child_span_keeps_the_trace():
    parent = new_traceparent()
    child = child_traceparent(parent)
    assert trace_id(child) == trace_id(parent) and child != parent
    assert trace_id(child_traceparent("garbage")) is not None


def test_ninjs_suite_31_against_the_validator():
    from pathlib import Path

    suite = Path(__file__).parents[2] / "fixtures" / "ninjs-suite"
    passing = sorted((suite / "should_pass").glob("*.json"))
    failing = sorted((suite / "should_fail").glob("*.json"))
    assert passing and failing
    for path in passing:
        assert ninjs_errors(json.loads(path.read_text())) == [], path.name
    for path in failing:
        assert ninjs_errors(json.loads(path.read_text())) != [], path.name
