"""Pure pieces of the ops tooling: DLQ reason tallies, which records a replay takes
and commits, DLQ names, and the dashboard's article rows and latency percentiles."""
from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from services.cli.connection import resolve_dlq
from services.cli.dlq import oldest_first, replay_positions
from services.gateway.routes.ops import article_row, latency
from shared.dead_letters import DeadLetter, tally_reasons
from shared.topics import Topics


def letter(partition: int, offset: int, ts: int, **reason: str) -> DeadLetter:
    headers = [("traceparent", b"00-x")] + [(f"wire_dlq_{k}", v.encode()) for k, v in reason.items()]
    return DeadLetter("p.wire.inbound.dlq", partition, offset, ts, b"k", b"v", headers)


def test_reasons_are_counted_most_frequent_first_with_the_latest_message():
    letters = [letter(0, 0, 1, stage="ingest", error_class="ParseError", error_code="parse_error", error_message="a"),
               letter(0, 1, 2, stage="ingest", error_class="ParseError", error_code="parse_error", error_message="b"),
               letter(1, 0, 3, stage="ingest", error_class="MalformedEvent", error_code="malformed_event")]
    assert tally_reasons(letters) == [
        {"stage": "ingest", "error_class": "ParseError", "error_code": "parse_error", "count": 2, "example": "b"},
        {"stage": "ingest", "error_class": "MalformedEvent", "error_code": "malformed_event", "count": 1,
         "example": ""}]
    assert letters[0].original_headers() == [("traceparent", b"00-x")]


def test_a_limited_replay_takes_whole_runs_per_partition_and_commits_after_them():
    letters = [letter(0, 5, 10), letter(0, 7, 30), letter(1, 2, 20), letter(1, 3, 40)]  # offset 6: a marker
    chosen = oldest_first(letters, 2)
    assert [(d.partition, d.offset) for d in chosen] == [(0, 5), (1, 2)]
    assert replay_positions(letters) == {TopicPartition("p.wire.inbound.dlq", 0): 8,
                                         TopicPartition("p.wire.inbound.dlq", 1): 4}
    # A record older than the cut in a partition is never skipped.
    skewed = [letter(0, 0, 50), letter(0, 1, 5)]
    assert [d.offset for d in oldest_first(skewed, 1)] == [0, 1]


@pytest.mark.parametrize("name", ["translated", "articles.translated", "p.articles.translated.dlq",
                                  "articles.translated.dlq"])
def test_dlq_names_resolve_with_or_without_prefix(name):
    topics = Topics("p.")
    assert resolve_dlq(topics, name) == ("p.articles.translated.dlq", "p.articles.translated")


def test_webhooks_dlq_has_no_source_and_unknown_names_are_refused():
    topics = Topics("p.")
    assert resolve_dlq(topics, "webhooks") == ("p.webhooks.dlq", None)
    with pytest.raises(ValueError, match="no DLQ for 'articles.published'"):
        resolve_dlq(topics, "articles.published")


META = {"article_id": "abc", "uri": "urn:x:1", "version": "2", "provider": "ap", "signal": "update",
        "received_at": "2025-01-01T00:00:00+00:00", "published_at": "2025-01-01T00:00:01.5+00:00",
        "trace_id": "t" * 32,
        "stage_timings": {"ingested": {"started_at": 1735689600.1, "finished_at": 1735689600.2},
                          "enriched": {"started_at": 1735689600.5, "finished_at": 1735689601.0},
                          "published": {"started_at": 1735689601.4, "finished_at": 1735689601.5}}}
ITEM = {"headlines": [{"role": "main", "value": "Floods close the port"}], "language": "en"}


def test_an_article_row_shows_waiting_and_working_time_per_stage():
    row = article_row(ITEM, META)
    assert row["headline"] == "Floods close the port" and row["href"] == "/v1/articles/abc"
    assert row["end_to_end_ms"] == 1500.0
    assert [(t["stage"], t["waited_ms"], t["ms"]) for t in row["timings"]] == [
        ("ingested", 100.0, 100.0), ("enriched", 300.0, 500.0), ("published", 400.0, 100.0)]


def test_latency_percentiles_overall_and_per_language():
    metas = [({"language": "en" if i % 2 else "ko"},
              {**META, "published_at": f"2025-01-01T00:00:{i:02d}+00:00"}) for i in range(1, 11)]
    result = latency(metas)
    assert result["end_to_end_ms"] == {"count": 10, "p50": 5000.0, "p95": 10000.0, "p99": 10000.0}
    assert set(result["by_language"]) == {"en", "ko"} and result["by_language"]["en"]["count"] == 5
    assert result["stage_median_ms"]["enriched"] == 500.0
    assert latency([])["end_to_end_ms"] == {"count": 0}
